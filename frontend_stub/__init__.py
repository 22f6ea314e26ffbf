"""The web client, shipped inside the wheel as the package ``lumbung_web`` (pyproject.toml).

Plain JavaScript modules and CSS, served by the app as static files (server/web.py); this file
only makes the folder a package that ``importlib.resources`` finds, and is never served.
"""
