# Undo the business team's change: the cluster gateway back as the default route.
set -e
# The cluster network's gateway is its first address (10.0.0.1 in the incident).
net=$(ip -4 -o route show dev enslf0 proto kernel | awk '{ print $1; exit }')
gw=$(echo "${net%/*}" | awk -F. '{ printf "%d.%d.%d.%d", $1, $2, $3, $4 + 1 }')
ip route add default via "$gw" dev enslf0 metric 100
ip route show default
