# The seed's fix: a route for the service network on the cluster NIC, so that the kernel picks the
# enslf0 address as source for 172.24.0.1. The seed's author kept it across reboots with a crontab
# line; these nodes bring their network up from netplan, so the route goes there.
set -e
ip r add 172.24.0.0/13 dev enslf0
ip route get 172.24.0.1
f=/etc/netplan/50-cloud-init.yaml
new=$(awk '{ print }
  /^      set-name: enslf0$/ { inside = 1 }
  inside && /^        - [0-9.]+\/[0-9]+$/ {
    print "      routes:"
    print "        - to: 172.24.0.0/13"
    print "          scope: link"
    inside = 0
  }' "$f")
printf '%s\n' "$new" > "$f"
grep -n -A3 'routes:' "$f"
