# The seed's route, typed on every node but never written down anywhere that survives a reboot.
set -e
ip r add 172.24.0.0/13 dev enslf0
ip route get 172.24.0.1
