# Throw the Service away and expose the Deployment again.
set -e
kubectl delete service hostnames
kubectl expose deployment hostnames --name=hostnames --port=80 --target-port=9376
kubectl get service hostnames
