/*
 * api/routes.c -- the list of route tables the node serves.  One line per
 * API file: add yours to 'tables'.
 */
#include "api/routes.h"

struct route_table {
    const struct sy_route *routes;
    const size_t *count;
};

#define TABLE(name) {name, &name##_count}

static const struct route_table tables[] = {
    TABLE(sy_client_versions_routes),
    TABLE(sy_client_capabilities_routes),
    TABLE(sy_client_login_routes),
    TABLE(sy_client_register_routes),
    TABLE(sy_client_account_routes),
    TABLE(sy_client_devices_routes),
    TABLE(sy_client_profile_routes),
    TABLE(sy_admin_register_routes),
    TABLE(sy_client_room_events_routes),
    TABLE(sy_client_room_members_routes),
    TABLE(sy_client_reports_routes),
    TABLE(sy_client_createroom_routes),
    TABLE(sy_client_membership_routes),
    TABLE(sy_client_aliases_routes),
    TABLE(sy_client_directory_routes),
    TABLE(sy_client_hierarchy_routes),
    TABLE(sy_client_upgrade_routes),
    TABLE(sy_client_search_routes),
    TABLE(sy_client_userdir_routes),
    TABLE(sy_client_typing_routes),
    TABLE(sy_client_receipts_routes),
    TABLE(sy_client_presence_routes),
    TABLE(sy_client_account_data_routes),
    TABLE(sy_client_sync_routes),
    TABLE(sy_client_messages_routes),
    TABLE(sy_client_filter_routes),
    TABLE(sy_client_relations_routes),
    TABLE(sy_client_keys_routes),
    TABLE(sy_client_to_device_routes),
    TABLE(sy_client_key_backup_routes),
    TABLE(sy_client_pushrules_routes),
    TABLE(sy_client_pushers_routes),
    TABLE(sy_client_notifications_routes),
};

#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

struct sy_router *
sy_api_router_new(void)
{
    const struct sy_route *routes[N_TABLES];
    size_t counts[N_TABLES];

    for (size_t i = 0; i < N_TABLES; i++) {
        routes[i] = tables[i].routes;
        counts[i] = *tables[i].count;
    }
    return sy_router_new(routes, counts, N_TABLES);
}
