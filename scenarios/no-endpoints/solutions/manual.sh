# A Service without a selector gets the Endpoints someone writes: list the two servers, with the
# port under the same name as the Service's port, and keep it in the manifest.
set -e
cd /root
cat >> hostnames.yaml <<'YAML'
---
apiVersion: v1
kind: Endpoints
metadata:
  name: hostnames
subsets:
- addresses:
  - ip: 192.168.56.12
  - ip: 192.168.56.13
  ports:
  - name: default
    port: 9376
    protocol: TCP
YAML
kubectl apply -f hostnames.yaml
kubectl get endpoints hostnames
