# Let flanneld pick the NIC it would use to reach the VirtualBox host on the host-only network.
set -e
kubectl -n kube-flannel patch daemonset kube-flannel-ds --type json \
  -p '[{"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": "--iface-can-reach=192.168.56.1"}]'
kubectl -n kube-flannel rollout status daemonset/kube-flannel-ds --timeout=60s
