"""IIS's value formats that the app's settings and the stand-in's configuration both read: one rule
each, standard library only, copied into both images."""
