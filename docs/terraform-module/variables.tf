# The variables a site's Terraform module declares to read rendered/terraform/<site>.auto.tfvars.
# Copy this file into your module (or symlink it) and build your resources from var.hosts and var.mesh
# (main.tf beside it is a working example). A host's user_data is its rendered cloud-init.yaml, read
# with file("${var.repository_root}/${var.hosts[name].cloud_init}"), not templatefile(): it is complete,
# and a "${" in it (a key comment) is text. User-data written by hand finds whom a host dials in
# var.hosts[name].peers (peer name -> AllowedIPs) and var.mesh.peers (the peer's key, mesh address and
# WireGuard endpoint), in a full mesh too.
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
  description = "The WireGuard mesh every host of the site joins: its settings, the hubs, and every host a host of this site peers with."
  type = object({
    interface   = string
    cidr        = string
    listen_port = number
    mtu         = number
    keepalive   = number # seconds; 0: no keepalives
    shape       = string # "hub-and-spoke" or "full-mesh"
    hubs = map(object({
      endpoint     = string
      port         = number
      public_key   = string
      mesh_address = string
    }))
    peers = map(object({
      public_key   = string
      mesh_address = string
      endpoint     = optional(string) # host:port as WireGuard's Endpoint takes it; null: the peer dials in
    }))
  })
}

variable "hosts" {
  description = "Hosts of this site by name: mesh address, WireGuard public key, roles, the path of its first-boot user-data, the host's own terraform attributes, and its peers with their AllowedIPs."
  type = map(object({
    mesh_address = string
    public_key   = string
    roles        = list(string)
    cloud_init   = string # rendered/hosts/<host>/cloud-init.yaml, from the repository root
    terraform    = map(string)
    peers        = map(list(string))
  }))
}

variable "repository_root" {
  description = "The infrastructure repository's root (where topology/ and rendered/ are), absolute or from the directory terraform runs in: the hosts' cloud_init paths start there."
  type        = string
}
