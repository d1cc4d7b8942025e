# A Service without a selector gets the Endpoints someone writes: list the two servers, with the
# port under the same name as the Service's port, and keep it in the manifest.
set -e
# The servers' addresses: a host-network pod has its node's IP.
kubectl get pods -o wide hostnames-ubuntu02 hostnames-ubuntu03
ip2=$(kubectl get pod hostnames-ubuntu02 -o jsonpath='{.status.podIP}')
ip3=$(kubectl get pod hostnames-ubuntu03 -o jsonpath='{.status.podIP}')
cd /root
cat >> hostnames.yaml <<YAML
---
apiVersion: v1
kind: Endpoints
metadata:
  name: hostnames
subsets:
- addresses:
  - ip: $ip2
  - ip: $ip3
  ports:
  - name: default
    port: 9376
    protocol: TCP
YAML
kubectl apply -f hostnames.yaml
kubectl get endpoints hostnames
