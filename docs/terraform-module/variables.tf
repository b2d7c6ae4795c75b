# The variables a site's Terraform module declares to read rendered/terraform/<site>.auto.tfvars.
# Copy this file into your module (or symlink it) and build your resources from var.hosts and var.mesh;
# fleet user-data joins the mesh with var.mesh.hubs (endpoint, port, public key) and var.mesh.cidr.
# A host's `terraform:` attributes arrive as var.hosts[name].terraform, a map(string) whose keys are
# written quoted, so any attribute name reads back as written: var.hosts["web-01"].terraform["for"].

variable "site" {
  description = "The site these hosts live in."
  type = object({
    name     = string
    provider = string
    region   = string
    country  = string
  })
}

variable "mesh" {
  description = "The WireGuard mesh every host of the site joins, and the hubs it dials."
  type = object({
    interface   = string
    cidr        = string
    listen_port = number
    mtu         = number
    hubs = map(object({
      endpoint     = string
      port         = number
      public_key   = string
      mesh_address = string
    }))
  })
}

variable "hosts" {
  description = "Hosts of this site by name: mesh address, WireGuard public key, roles, and the host's own terraform attributes."
  type = map(object({
    mesh_address = string
    public_key   = string
    roles        = list(string)
    terraform    = map(string)
  }))
}
