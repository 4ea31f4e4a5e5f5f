"""MkDocs adapter: loads the strategy once and exposes it to the pages (mkdocs-macros `define_env`)."""
