# An example site module: it reads rendered/terraform/<site>.auto.tfvars (variables.tf) and hands each
# host its first-boot user-data, the rendered hosts/<host>/cloud-init.yaml. It creates no machine and
# needs no provider (terraform_data is built in): replace terraform_data.host with your cloud's
# instance resource, as the comments below show. Run it with the site's tfvars:
#
#   terraform plan -var-file=<repo>/rendered/terraform/<site>.auto.tfvars -var repository_root=<repo>

terraform {
  required_version = ">= 1.4" # terraform_data
}

locals {
  # Each host's whole user-data: cloud-init installs the packages, the deploy user and every file
  # fortress renders for the host, and makes the WireGuard key on the host (none is in the file).
  user_data = { for name, host in var.hosts : name => file("${var.repository_root}/${host.cloud_init}") }
}

# One resource per host, standing in for its machine: a change to a host's cloud-init.yaml shows in
# `terraform plan` here as it would in an instance's user_data.
resource "terraform_data" "host" {
  for_each = var.hosts

  input = {
    site         = var.site.name
    mesh_address = each.value.mesh_address
    roles        = each.value.roles
    user_data    = local.user_data[each.key]
  }
}

# Where a cloud instance takes it. cloud-init reads user-data on the first boot only, and fortress
# apply keeps running hosts current, so changes to it are ignored: on AWS a new user_data would stop
# and start the instance. EC2 takes at most 16 KB of user-data; gzip it (cloud-init reads gzip) with
# user_data_base64 = base64gzip(local.user_data[each.key]) when a hub's peer list makes it bigger.
#
# resource "aws_instance" "host" {
#   for_each      = var.hosts
#   ami           = each.value.terraform["ami"]
#   instance_type = each.value.terraform["instance_type"]
#   user_data     = local.user_data[each.key]
#   tags          = { Name = each.key, mesh_address = each.value.mesh_address }
#
#   lifecycle {
#     ignore_changes = [user_data]
#   }
# }
#
# resource "google_compute_instance" "host" {
#   for_each     = var.hosts
#   name         = each.key
#   machine_type = each.value.terraform["machine_type"]
#   zone         = "${var.site.region}-a"
#   boot_disk {
#     initialize_params { image = each.value.terraform["image"] }
#   }
#   network_interface {
#     network = "default"
#     access_config {}
#   }
#   metadata = {
#     user-data = local.user_data[each.key]
#   }
#
#   lifecycle {
#     ignore_changes = [metadata["user-data"]]
#   }
# }
