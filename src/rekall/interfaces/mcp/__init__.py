"""The MCP server: Rekall's entries and searches as tools for MCP clients."""
