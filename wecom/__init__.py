"""Framework-free WeCom third-party app protocol: callback crypto, events, API client.

Nothing in this package imports Django; the portal and the sandbox both build on it.
"""
