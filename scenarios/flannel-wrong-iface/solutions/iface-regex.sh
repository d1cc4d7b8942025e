# Name the NIC by pattern, straight in the running DaemonSet; its rolling update restarts flanneld
# node by node.
set -e
kubectl -n kube-flannel patch daemonset kube-flannel-ds --type json \
  -p '[{"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": "--iface-regex=^enp0s3$"}]'
kubectl -n kube-flannel rollout status daemonset/kube-flannel-ds --timeout=60s
