"""`maestro-graph import-git`: local git repositories (work trees or bare) into the graph.

Git is read with the `git` command line rather than GitPython: the reads needed here
(log with numstat and trailers, check-mailmap, ls-tree, cat-file --batch) are single
commands whose output is stable and documented, `.mailmap` is applied exactly as git
applies it, one streamed `git log` is faster than walking commit objects in Python, and
it adds no dependency (GitPython itself shells out to the same binary).
"""
