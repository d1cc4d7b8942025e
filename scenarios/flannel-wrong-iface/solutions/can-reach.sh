# Let flanneld pick the NIC it would use to reach the VirtualBox host on the host-only network.
set -e
# The VirtualBox host is the host-only network's first address (192.168.56.1).
net=$(ip -4 -o route show dev enp0s3 proto kernel | awk '{ print $1; exit }')
host=$(echo "${net%/*}" | awk -F. '{ printf "%d.%d.%d.%d", $1, $2, $3, $4 + 1 }')
kubectl -n kube-flannel patch daemonset kube-flannel-ds --type json \
  -p "[{\"op\": \"add\", \"path\": \"/spec/template/spec/containers/0/args/-\", \"value\": \"--iface-can-reach=$host\"}]"
kubectl -n kube-flannel rollout status daemonset/kube-flannel-ds --timeout=60s
