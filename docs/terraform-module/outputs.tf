# What the example module gives back: each host's first-boot user-data, and where it joins the mesh.

output "user_data" {
  description = "Each host's first-boot user-data (its rendered cloud-init.yaml), by host name."
  value       = local.user_data
}

output "mesh_addresses" {
  description = "Each host's mesh address, by host name."
  value       = { for name, host in var.hosts : name => host.mesh_address }
}
