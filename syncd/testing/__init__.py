"""Fakes for unit tests, behind the same Protocols as the real adapters.

Never imported by product code: only tests (and other fakes) use this
package. `fake_cluster.FakeCluster` stands in for `syncd.core.ports.Cluster`,
`fake_source.FakeSource` for `Source` and `clock.FakeClock` for `Clock`.
"""
