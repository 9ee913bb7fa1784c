"""jupyter_server handlers and the JupyterLab panel (TypeScript in src/, settings in schema/)."""
