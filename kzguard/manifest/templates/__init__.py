"""Package data: the SMF manifest template (kzguard.xml.j2) read by kzguard.manifest.render.

A package of its own so that setuptools ships the directory as one, without
treating a plain data directory inside ``kzguard`` as an ambiguous package.
"""
