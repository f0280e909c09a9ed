"""Sample apps hosted by the template through APP_MODULE, each tested through the proxy."""
