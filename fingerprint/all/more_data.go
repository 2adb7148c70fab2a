package all

// Databases, caches, job queues and messaging.
import (
	_ "github.com/ajarsec/ajar/fingerprint/aerospike"
	_ "github.com/ajarsec/ajar/fingerprint/bolt"
	_ "github.com/ajarsec/ajar/fingerprint/clickhouse"
	_ "github.com/ajarsec/ajar/fingerprint/couchbase"
	_ "github.com/ajarsec/ajar/fingerprint/drda"
	_ "github.com/ajarsec/ajar/fingerprint/epmd"
	_ "github.com/ajarsec/ajar/fingerprint/firebird"
	_ "github.com/ajarsec/ajar/fingerprint/ignite"
	_ "github.com/ajarsec/ajar/fingerprint/nsq"
	_ "github.com/ajarsec/ajar/fingerprint/openwire"
	_ "github.com/ajarsec/ajar/fingerprint/oracletns"
	_ "github.com/ajarsec/ajar/fingerprint/pulsar"
	_ "github.com/ajarsec/ajar/fingerprint/rethinkdb"
	_ "github.com/ajarsec/ajar/fingerprint/riak"
	_ "github.com/ajarsec/ajar/fingerprint/stomp"
	_ "github.com/ajarsec/ajar/fingerprint/zmtp"
)
