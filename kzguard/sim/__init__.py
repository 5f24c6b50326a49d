"""A simulated Oracle Solaris 11.4 global zone for testing kzguard off Solaris.

A simulated host is a directory: ``state.marshal`` (see :mod:`kzguard.sim.state`
for the schema), ``bin/`` with real executables named after the Solaris
commands kzguard runs (zoneadm, zonecfg, zlogin, svcprop, svcadm, svccfg, who,
df), ``policy.toml`` pointing kzguard at them, ``commands.log`` recording
every invocation, and optionally ``output-faults.json`` making a command line
misbehave as a program (garbage, hang, signal...: :mod:`kzguard.sim.tools`).
:func:`kzguard.sim.create.create_host` makes one;
:mod:`kzguard.sim.control` plays the global zone's own events (power loss, the
zones service stopping and starting, ``reboot``).

This package is imported by those executables, so it stays cheap to import:
nothing here pulls in the rest of kzguard.
"""
