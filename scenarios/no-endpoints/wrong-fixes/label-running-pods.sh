# Make the running pods match the Service instead of the other way round.
set -e
kubectl label pods -l app=hostnames app=hostname --overwrite
kubectl get pods --show-labels
