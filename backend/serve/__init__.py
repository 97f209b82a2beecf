"""Serving compiled models over the network on an existing engine: a Ray Serve deployment with
one replica per card (`ray_app`, optional extra `serve`: Ray is imported only there), and a
Triton Inference Server Python-backend model (`triton_model`, `triton_repo`). What both share:
the HTTP body formats (`protocol`) and a replica's card and session (`replica`).

    python -m canopy_ir.backend.serve ray model.canopy --cards 2 --port 8000
    python -m canopy_ir.backend.serve triton-repo model.canopy --out models/
"""
