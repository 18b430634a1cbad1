/*
 * api/routes.c -- the list of route tables the node serves.
 */
#include "api/routes.h"


struct sy_router *
sy_api_router_new(void)
{
    const struct sy_route *const tables[] = {
        sy_client_versions_routes, sy_client_capabilities_routes, sy_client_login_routes,
        sy_client_register_routes, sy_client_account_routes,      sy_client_devices_routes,
        sy_client_profile_routes,  sy_admin_register_routes,
        sy_client_room_events_routes, sy_client_room_members_routes, sy_client_reports_routes,
        sy_client_createroom_routes, sy_client_membership_routes, sy_client_aliases_routes,
        sy_client_directory_routes, sy_client_hierarchy_routes, sy_client_upgrade_routes,
        sy_client_search_routes, sy_client_userdir_routes,
    };
    const size_t counts[] = {
        sy_client_versions_routes_count, sy_client_capabilities_routes_count,
        sy_client_login_routes_count,    sy_client_register_routes_count,
        sy_client_account_routes_count,  sy_client_devices_routes_count,
        sy_client_profile_routes_count,  sy_admin_register_routes_count,
        sy_client_room_events_routes_count, sy_client_room_members_routes_count,
        sy_client_reports_routes_count,
        sy_client_createroom_routes_count, sy_client_membership_routes_count,
        sy_client_aliases_routes_count,
        sy_client_directory_routes_count, sy_client_hierarchy_routes_count,
        sy_client_upgrade_routes_count, sy_client_search_routes_count,
        sy_client_userdir_routes_count,
    };

    return sy_router_new(tables, counts, sizeof(tables) / sizeof(tables[0]));
}
