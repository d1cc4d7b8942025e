# No probe, no problem?
set -e
kubectl patch deployment hostnames --type json \
  -p '[{"op": "remove", "path": "/spec/template/spec/containers/0/readinessProbe"}]'
kubectl rollout status deployment/hostnames --timeout=90s
