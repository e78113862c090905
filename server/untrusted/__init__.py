"""Files and bodies from outside (catalogue uploads, workshop exports) are parsed in child processes with hard
limits on memory, CPU and wall time, so a hostile file costs nothing but a refusal (docs/deploy.md).

``pool`` is the serving process's side, ``child`` the child's, ``jobs`` what a child can be asked to do. This
package's ``__init__`` imports nothing, so that a child loads only what its jobs need.
"""
