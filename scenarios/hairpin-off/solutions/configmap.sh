# hairpinMode back on where flannel's CNI configuration is declared, then the pieces that read it
# started again: flannel (its install-cni step writes /etc/cni/net.d/10-flannel.conflist on every
# node) and the hostnames pods (the bridge plugin sets hairpin when it plugs a new pod in).
set -e
kubectl -n kube-flannel get configmap kube-flannel-cfg -o yaml \
  | sed 's/"hairpinMode": false/"hairpinMode": true/' \
  | kubectl replace -f -
kubectl -n kube-flannel rollout restart daemonset/kube-flannel-ds
kubectl -n kube-flannel rollout status daemonset/kube-flannel-ds --timeout=60s
grep -n hairpinMode /etc/cni/net.d/10-flannel.conflist
kubectl rollout restart deployment/hostnames
kubectl rollout status deployment/hostnames --timeout=90s
