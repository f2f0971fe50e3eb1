"""Many videos in one run (`hmp batch`): each detected, fitted and exported into its own folder, resumable.

Modules: ``inputs`` (INPUT arguments -> videos and their output names), ``settings`` (the per-video work and
file names), ``manifest`` (batch.json and batch.csv), ``task`` (one video, no Ray), ``runner`` (the videos as Ray
tasks, local or on a cluster; the only module that imports Ray), ``plan`` (which videos a run does),
``report`` (progress bar, summary table).
"""
