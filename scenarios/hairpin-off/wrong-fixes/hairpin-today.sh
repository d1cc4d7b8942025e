# Hairpin switched on for the veths that exist now, as seed 002 shows them.
for d in /sys/devices/virtual/net/cni0/brif/veth*/hairpin_mode; do
  echo 1 > "$d"
  echo "$d = $(cat "$d")"
done
