#!/usr/bin/env node
// A MySQL 5.7 / 8.0 / 8.4 stand-in for the probe's integration test.
//
//   node server.js <port> <state.json>
//
// Speaks the MySQL wire protocol through mysql2's server API, accepts any
// user and password, and answers the probe's statements like the real
// server of that version would: `SELECT @@global.x AS `alias`, ...` from the
// state's variables (an unknown variable is ERROR 1193, as on MySQL), and the
// version's replica status statement with every column of the reference
// manual (columns.json) in order (the other version's spelling is ERROR
// 1064). The state file is re-read for every query, so a test changes the
// server by rewriting it:
//   {"dialect": "mysql-8.0", "variables": {"version": "8.0.36", "read_only": "1", ...},
//    "replica_status": [{"Source_Host": "...", ...}]}   (unlisted columns: "" or NULL)
'use strict';

const fs = require('fs');
const path = require('path');
const mysql = require('mysql2');

const [port, statePath] = process.argv.slice(2);
const dialects = JSON.parse(fs.readFileSync(path.join(__dirname, 'columns.json'), 'utf8'));

const VAR_STRING = 253;
const CHARSET_UTF8MB4 = 45;
const SERVER_STATUS_AUTOCOMMIT = 0x0002;
const SERVER_MORE_RESULTS_EXISTS = 0x0008;
// Columns whose "nothing" is SQL NULL rather than "" (the manual's examples).
const NULL_WHEN_UNSET = new Set(['Seconds_Behind_Master', 'Seconds_Behind_Source',
                                 'SQL_Remaining_Delay']);

function column(name) {
  return {catalog: 'def', schema: '', table: '', orgTable: '', name, orgName: name,
          characterSet: CHARSET_UTF8MB4, columnLength: 1024, columnType: VAR_STRING, flags: 0,
          decimals: 0};
}

function writeResult(conn, names, rows, more) {
  conn.writeColumns(names.map(column));
  for (const row of rows) conn.writeTextRow(names.map((n) => row[n]));
  conn.writeEof(0, SERVER_STATUS_AUTOCOMMIT | (more ? SERVER_MORE_RESULTS_EXISTS : 0));
}

// "SELECT @@global.a AS `x`, NULL AS `y`" -> [{name: 'x', variable: 'a'}, {name: 'y'}]
function parseSelect(sql) {
  const items = [];
  const re = /(@@global\.([a-z_]+)|NULL)\s+AS\s+`([a-z_]+)`/gi;
  let m;
  while ((m = re.exec(sql)) !== null) items.push({name: m[3], variable: m[2]});
  return items;
}

function answer(conn, statement, state, dialect, more) {
  const s = statement.trim();
  if (/^SELECT /i.test(s)) {
    const row = {};
    const items = parseSelect(s);
    for (const item of items) {
      if (item.variable && !dialect.variables.includes(item.variable)) {
        conn.writeError({code: 1193, message: `Unknown system variable '${item.variable}'`});
        return false;
      }
      row[item.name] = item.variable ? (state.variables[item.variable] ?? null) : null;
    }
    writeResult(conn, items.map((i) => i.name), [row], more);
    return true;
  }
  if (dialect.rejects.some((r) => s.toUpperCase() === r)) {
    conn.writeError({code: 1064, message: `You have an error in your SQL syntax near '${s}'`});
    return false;
  }
  if (s.toUpperCase() === dialect.statement) {
    const rows = (state.replica_status || []).map((given) => {
      const row = {};
      for (const name of dialect.columns) {
        row[name] = name in given ? given[name] : (NULL_WHEN_UNSET.has(name) ? null : '');
      }
      return row;
    });
    writeResult(conn, dialect.columns, rows, more);
    return true;
  }
  conn.writeError({code: 1064, message: `stand-in does not know '${s}'`});
  return false;
}

const server = mysql.createServer();
server.on('connection', (conn) => {
  let state = JSON.parse(fs.readFileSync(statePath, 'utf8'));
  conn.serverHandshake({
    protocolVersion: 10,
    serverVersion: state.variables.version,
    connectionId: 1,
    statusFlags: SERVER_STATUS_AUTOCOMMIT,
    characterSet: CHARSET_UTF8MB4,
    // PROTOCOL_41 | SECURE_CONNECTION | MULTI_STATEMENTS | MULTI_RESULTS |
    // LONG_PASSWORD | TRANSACTIONS | PLUGIN_AUTH; no DEPRECATE_EOF, no SSL.
    capabilityFlags: 0x200 | 0x8000 | 0x10000 | 0x20000 | 0x1 | 0x2000 | 0x80000,
  });
  conn.on('query', (sql) => {
    state = JSON.parse(fs.readFileSync(statePath, 'utf8'));
    const dialect = dialects[state.dialect];
    const statements = sql.split(';').filter((x) => x.trim() !== '');
    for (let i = 0; i < statements.length; ++i) {
      if (!answer(conn, statements[i], state, dialect, i + 1 < statements.length)) break;
    }
  });
  conn.on('error', () => {});
});
server.listen(Number(port), '127.0.0.1', () => console.log(`listening on 127.0.0.1:${port}`));
