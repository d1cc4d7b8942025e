# The seed's third step: "nothing looked wrong in iptables; to be safe, open everything again".
iptables -P INPUT ACCEPT
iptables -P FORWARD ACCEPT
iptables -F
iptables -L -n
