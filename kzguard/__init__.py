"""kzguard: keep Oracle Solaris kernel zones alive across global-zone reboots."""

__version__ = "0.1.0"
