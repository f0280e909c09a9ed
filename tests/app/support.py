"""What the app tests share beside their fixtures: the address IIS has in them."""

# IIS's address in the app tests: the one proxy hop the hosting layer trusts (IIS_ADDRESS).
IIS = "172.30.50.10"
