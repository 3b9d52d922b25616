// Runs the guide's Express webhook handler (express_handler.js, copied
// unchanged from the guide) in an Express app, as the guide's readers
// would: express.json() parses the body, WEBHOOK_SECRET comes from the
// environment, the port from PORT (default: any free one). It prints its
// port once listening; the handler's own
// console.log lines follow on stdout.
const fs = require('fs');
const path = require('path');
const express = require('express');

const app = express();
app.use(express.json());
const WEBHOOK_SECRET = process.env.WEBHOOK_SECRET;
const handler = fs.readFileSync(path.join(__dirname, 'express_handler.js'), 'utf8');
new Function('app', 'WEBHOOK_SECRET', 'require', 'console', handler)(app, WEBHOOK_SECRET, require, console);

const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => console.log(server.address().port));
