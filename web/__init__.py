"""web: thin HTTP and WebSocket edges over the domain, and the browser apps."""
