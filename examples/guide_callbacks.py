# The guide's "Extra callbacks", "Context" and "Connection id" sections in one
# runnable server. The hooks are written as the guide shows them (without
# `self`); the context snippet's `elif self.database = "remote"` is a typo in
# the guide and is written with `==` here.
import riffq
from sqlglot import parse_one, exp

EVENTS = []


class Connection(riffq.BaseConnection):
    database = None

    def handle_auth(self, user, password, host, database=None, callback=callable):
        # Accept a single demo user
        self.database = database
        callback(user == "user" and password == "secret")

    def handle_connect(ip, port, callback):
        return callback(True)

    def handle_disconnect(ip, port, callback):
        # close open files etc.
        return callback()

    def handle_query(self, sql, callback=callable, **kwargs):
        # check if "use databasename" statement is coming
        sql_ast = parse_one(sql, read="postgres")
        if isinstance(sql_ast, exp.Use):
            target_database = sql_ast.this.name
            self.database = target_database
            # when switching a database, we don't return data, just a tag
            return callback("OK", is_tag=True)
        # now you can dispatch by current user's database name
        if self.database == "main":
            rows = [("main", self.conn_id)]
        elif self.database == "remote":
            rows = [("remote", self.conn_id)]
        else:
            return callback(("ERROR", "3D000", "unknown database"), is_error=True)
        callback(([{"name": "database", "type": "str"}, {"name": "conn_id", "type": "int"}], rows))


server = riffq.RiffqServer("127.0.0.1:5433", connection_cls=Connection)
server.start()
