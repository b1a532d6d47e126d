"""docker network create/rm with the kuryr driver and IPAM, checked in the real Neutron."""
import ipaddress

import pytest

from conftest import kuryr_network, neutron_network_for, unique_name


def _subnetpools(neutron, name):
    return list(neutron.subnet_pools(name=name))


def test_create_with_subnet_gateway_and_range(daemon, dclient, neutron, cleanup):
    net = kuryr_network(dclient, cleanup, subnet="10.42.0.0/16", ip_range="10.42.7.0/24", gateway="10.42.7.1")
    nnet = neutron_network_for(neutron, net.id)
    assert nnet is not None, "no Neutron network carries the Docker network's lh/uh tags"
    assert nnet.name == f"kuryr-net-{net.id[:8]}"
    subnets = list(neutron.subnets(network_id=nnet.id))
    assert [s.cidr for s in subnets] == ["10.42.7.0/24"], "--ip-range becomes the Neutron subnet CIDR"
    assert subnets[0].name == "kuryr-subnet-10.42.7.0/24"
    assert subnets[0].gateway_ip == "10.42.7.1"
    pools = _subnetpools(neutron, "kuryrPool-10.42.7.0/24")
    assert len(pools) == 1
    assert pools[0].id in subnets[0].tags, "the subnet is tagged with its subnetpool id"

    net.remove()
    assert neutron_network_for(neutron, net.id) is None
    assert not list(neutron.subnets(name="kuryr-subnet-10.42.7.0/24"))
    assert not _subnetpools(neutron, "kuryrPool-10.42.7.0/24")


def test_create_without_gateway_uses_first_host(daemon, dclient, neutron, cleanup):
    """Upstream fails here with 'failed to allocate gateway'."""
    net = kuryr_network(dclient, cleanup, subnet="10.43.0.0/24")
    nnet = neutron_network_for(neutron, net.id)
    subnets = list(neutron.subnets(network_id=nnet.id))
    assert subnets[0].gateway_ip == "10.43.0.1"


def test_create_without_subnet_takes_a_slice_of_the_default_pool(daemon, dclient, neutron, cleanup):
    net = kuryr_network(dclient, cleanup)
    nnet = neutron_network_for(neutron, net.id)
    subnets = list(neutron.subnets(network_id=nnet.id))
    assert len(subnets) == 1
    default = _subnetpools(neutron, "kuryr")[0]
    assert subnets[0].subnet_pool_id == default.id
    cidr = ipaddress.ip_network(subnets[0].cidr)
    assert cidr.prefixlen == 24
    assert any(cidr.subnet_of(ipaddress.ip_network(p)) for p in default.prefixes)
    net.remove()
    assert neutron_network_for(neutron, net.id) is None
    assert _subnetpools(neutron, "kuryr"), "the default pool itself is never deleted"


def test_dual_stack_one_subnet_per_family(daemon, dclient, neutron, cleanup):
    net = kuryr_network(dclient, cleanup, subnet="10.44.0.0/24", v6_subnet="fd44:1::/64")
    nnet = neutron_network_for(neutron, net.id)
    subnets = sorted(neutron.subnets(network_id=nnet.id), key=lambda s: s.ip_version)
    assert [(s.ip_version, s.cidr, s.name) for s in subnets] == [
        (4, "10.44.0.0/24", "kuryr-subnet-10.44.0.0/24"),
        (6, "fd44:1::/64", "kuryr-subnet-fd44:1::/64"),
    ]
    net.remove()
    assert neutron_network_for(neutron, net.id) is None
    assert not _subnetpools(neutron, "kuryrPool-fd44:1::/64")


def test_other_drivers_touch_no_neutron_resources(daemon, dclient, neutron, cleanup):
    before = sorted(n.id for n in neutron.networks())
    net = cleanup.network(dclient.networks.create(unique_name("br"), driver="bridge"))
    assert sorted(n.id for n in neutron.networks()) == before
    net.remove()


def test_existing_network_is_adopted_and_kept(daemon, dclient, neutron, cleanup):
    nname = unique_name("existing")
    nnet = neutron.create_network(name=nname)
    cleanup.add(neutron.delete_network, nnet.id)
    sub = neutron.create_subnet(network_id=nnet.id, cidr="10.45.0.0/24", ip_version=4, name=unique_name("sub"))
    cleanup.add(neutron.delete_subnet, sub.id)
    net = kuryr_network(dclient, cleanup, subnet="10.45.0.0/24", options={"neutron.net.name": nname},
                        ipam_options={"neutron.net.name": nname})
    tagged = neutron.get_network(nnet.id)
    assert f"kuryr.net.existing:{net.id[:12]}" in tagged.tags
    assert f"kuryr.net.uuid.lh:{net.id[:32]}" in tagged.tags
    net.remove()
    kept = neutron.get_network(nnet.id)
    assert kept is not None, "an adopted Neutron network is never deleted"
    assert not [t for t in kept.tags if t.startswith("kuryr.")], "kuryr's tags are removed"
    assert [s.id for s in neutron.subnets(network_id=nnet.id)] == [sub.id]


@pytest.mark.parametrize("bad", ["300.1.1.0/24"])
def test_bad_subnet_is_refused_by_docker_or_kuryr(daemon, dclient, cleanup, bad):
    import docker
    with pytest.raises(docker.errors.APIError):
        kuryr_network(dclient, cleanup, subnet=bad)
