# Point the readinessProbe at the port the container serves, in the manifest, and roll it out.
set -e
cd /root
sed -i 's/^            port: 9377$/            port: 9376/' hostnames.yaml
grep -n -A4 'readinessProbe:' hostnames.yaml
kubectl apply -f hostnames.yaml
kubectl rollout status deployment/hostnames --timeout=90s
kubectl get endpoints hostnames
