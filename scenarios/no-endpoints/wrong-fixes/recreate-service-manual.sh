# Start the Service over, this time together with its Endpoints.
set -e
kubectl delete service hostnames
cat <<'YAML' | kubectl apply -f -
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
  - ip: 192.168.56.12
  - ip: 192.168.56.13
  ports:
  - name: default
    port: 9376
YAML
kubectl get service,endpoints hostnames
