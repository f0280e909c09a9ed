"""The app image's code, in three parts: the seed app of the original post (web.py), the hosting
layer every hosted app runs inside (hosting/), and the server runtime that serves it (server/).
config.py reads every setting, once, for all three."""
