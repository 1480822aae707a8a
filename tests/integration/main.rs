mod sandbox; // the sandbox API over HTTP
