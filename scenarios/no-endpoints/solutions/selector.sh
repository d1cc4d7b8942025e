# Correct the selector where it is declared - the team's manifest - and apply it.
set -e
cd /root
sed -i 's/^    app: hostname$/    app: hostnames/' hostnames.yaml
grep -n -A1 'selector:' hostnames.yaml
kubectl apply -f hostnames.yaml
kubectl get endpoints hostnames
