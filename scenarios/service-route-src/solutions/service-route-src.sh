# The same route with the source address spelled out (ip route ... src), in netplan as `from:`.
set -e
addr=$(ip -4 -o addr show dev enslf0 | awk '{ split($4, a, "/"); print a[1] }')
ip route add 172.24.0.0/13 dev enslf0 src "$addr"
ip route get 172.24.0.1
f=/etc/netplan/50-cloud-init.yaml
new=$(awk -v addr="$addr" '{ print }
  /^      set-name: enslf0$/ { inside = 1 }
  inside && /^        - [0-9.]+\/[0-9]+$/ {
    print "      routes:"
    print "        - to: 172.24.0.0/13"
    print "          scope: link"
    print "          from: " addr
    inside = 0
  }' "$f")
printf '%s\n' "$new" > "$f"
