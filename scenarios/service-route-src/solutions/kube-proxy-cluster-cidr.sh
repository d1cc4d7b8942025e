# The other way: tell kube-proxy the pod network, so that it masquerades every connection to a
# ClusterIP that does not come from a pod - the node's own traffic then leaves with the enslf0
# address. kube-proxy reads its configuration when it starts.
set -e
kubectl -n kube-system get configmap kube-proxy -o yaml \
  | sed 's|^    clusterCIDR: ""$|    clusterCIDR: 172.16.0.0/16|' \
  | kubectl replace -f -
kubectl -n kube-system get configmap kube-proxy -o jsonpath='{.data.config\.conf}' | grep clusterCIDR
kubectl -n kube-system delete pod -l k8s-app=kube-proxy
kubectl -n kube-system rollout status daemonset/kube-proxy --timeout=60s
