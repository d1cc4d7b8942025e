# Start the Service over, this time together with its Endpoints.
set -e
# The servers' addresses: a host-network pod has its node's IP.
kubectl get pods -o wide hostnames-ubuntu02 hostnames-ubuntu03
ip2=$(kubectl get pod hostnames-ubuntu02 -o jsonpath='{.status.podIP}')
ip3=$(kubectl get pod hostnames-ubuntu03 -o jsonpath='{.status.podIP}')
kubectl delete service hostnames
cat <<YAML | kubectl apply -f -
apiVersion: v1
kind: Service
metadata:
  name: hostnames
spec:
  ports:
  - name: default
    port: 80
    targetPort: 9376
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
YAML
kubectl get service,endpoints hostnames
