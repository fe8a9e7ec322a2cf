# The getting-started guide's "Minimal server", exactly as written there.
import riffq
import pyarrow as pa
class Connection(riffq.BaseConnection):
    def handle_auth(self, user, password, host, database=None, callback=callable):
        # Accept a single demo user
        callback(user == "user" and password == "secret")
    def handle_query(self, sql, callback=callable, **kwargs):
        q = sql.strip().lower()
        if q == "select 1":
            batch = self.arrow_batch([pa.array([1])], ["one"])
            self.send_reader(batch, callback)
        elif q == "select 'ok' as status":
            batch = self.arrow_batch([pa.array(["ok"])], ["status"])
            self.send_reader(batch, callback)
        else:
            # Send a simple error tuple (severity, code, message)
            callback(("ERROR", "42601", "unsupported demo query"), is_error=True)
server = riffq.RiffqServer("127.0.0.1:5433", connection_cls=Connection)
server.start()
