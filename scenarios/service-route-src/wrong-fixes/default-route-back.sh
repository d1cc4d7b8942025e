# Undo the business team's change: the cluster gateway back as the default route.
set -e
ip route add default via 10.0.0.1 dev enslf0 metric 100
ip route show default
