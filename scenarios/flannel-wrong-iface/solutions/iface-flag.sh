# What the seed's author did: name the NIC in the kube-flannel.yml the cluster was set up with,
# then replace every object of it (the DaemonSet's pods start again with the new args).
set -e
cd /root
sed -i 's/^\( *\)- --kube-subnet-mgr$/&\n\1- --iface=enp0s3/' kube-flannel.yml
grep -n -B2 -A1 -- '--iface=enp0s3' kube-flannel.yml
kubectl replace --force -f kube-flannel.yml
kubectl -n kube-flannel rollout status daemonset/kube-flannel-ds --timeout=60s
