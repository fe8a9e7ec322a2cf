# The getting-started guide's TLS section: the minimal server with TLS on.
# Make the certificate first, as the guide shows:
#   openssl req -newkey rsa:2048 -nodes -keyout server.key \
#     -x509 -days 1 -out server.crt -subj "/CN=localhost"
import riffq


class Connection(riffq.BaseConnection):
    def handle_auth(self, user, password, host, database=None, callback=callable):
        callback(user == "user" and password == "secret")

    def handle_connect(self, ip, port, callback=callable, server_name=None):
        self.server_name = server_name
        callback(True)

    def handle_query(self, sql, callback=callable, **kwargs):
        callback(([{"name": "server_name", "type": "str"}], [(self.server_name,)]))


server = riffq.RiffqServer("127.0.0.1:5433", connection_cls=Connection)
server.set_tls("server.crt", "server.key")
server.start(tls=True)
