/*
 * api/routes.h -- every API file's route table, gathered for the router.
 */
#ifndef SY_API_ROUTES_H
#define SY_API_ROUTES_H

#include <stddef.h>

#include "http/route.h"

#define SY_ROUTES(name)                                                                            \
    extern const struct sy_route name[];                                                           \
    extern const size_t name##_count

SY_ROUTES(sy_client_versions_routes);
SY_ROUTES(sy_client_sync_routes);
SY_ROUTES(sy_client_messages_routes);
SY_ROUTES(sy_client_capabilities_routes);
SY_ROUTES(sy_client_login_routes);
SY_ROUTES(sy_client_register_routes);
SY_ROUTES(sy_client_account_routes);
SY_ROUTES(sy_client_devices_routes);
SY_ROUTES(sy_client_profile_routes);
SY_ROUTES(sy_admin_register_routes);
SY_ROUTES(sy_client_room_events_routes);
SY_ROUTES(sy_client_room_members_routes);
SY_ROUTES(sy_client_reports_routes);
SY_ROUTES(sy_client_createroom_routes);
SY_ROUTES(sy_client_membership_routes);
SY_ROUTES(sy_client_aliases_routes);
SY_ROUTES(sy_client_directory_routes);
SY_ROUTES(sy_client_hierarchy_routes);
SY_ROUTES(sy_client_upgrade_routes);
SY_ROUTES(sy_client_search_routes);
SY_ROUTES(sy_client_userdir_routes);
SY_ROUTES(sy_client_typing_routes);
SY_ROUTES(sy_client_receipts_routes);
SY_ROUTES(sy_client_presence_routes);
SY_ROUTES(sy_client_account_data_routes);
SY_ROUTES(sy_client_filter_routes);
SY_ROUTES(sy_client_relations_routes);
SY_ROUTES(sy_client_keys_routes);
SY_ROUTES(sy_client_to_device_routes);
SY_ROUTES(sy_client_key_backup_routes);
SY_ROUTES(sy_client_pushrules_routes);
SY_ROUTES(sy_client_pushers_routes);
SY_ROUTES(sy_client_notifications_routes);

/* The node's router over all route tables; the caller frees it with sy_router_free(). */
struct sy_router *sy_api_router_new(void);

#endif /* SY_API_ROUTES_H */
